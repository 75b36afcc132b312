terraform {
  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 4.0"
    }
  }
}

provider "azurerm" {
  features {}
}

data "azurerm_client_config" "current" {}

resource "azurerm_resource_group" "this" {
  name     = "rg-inventory-prod"
  location = "germanywestcentral"
}

resource "azurerm_virtual_network" "this" {
  name                = "vnet-inventory-prod"
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
  address_space       = ["10.20.0.0/16"]
}

resource "azurerm_subnet" "s" {
  name                 = "snet-postgres"
  resource_group_name  = azurerm_resource_group.this.name
  virtual_network_name = azurerm_virtual_network.this.name
  address_prefixes     = ["10.20.1.0/24"]

  delegation {
    name = "postgres"
    service_delegation {
      name    = "Microsoft.DBforPostgreSQL/flexibleServers"
      actions = ["Microsoft.Network/virtualNetworks/subnets/join/action"]
    }
  }
}

resource "azurerm_network_security_group" "postgres" {
  name                = "nsg-snet-postgres"
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name

  security_rule {
    name                       = "allow-app-postgres"
    priority                   = 100
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_port_range          = "*"
    destination_port_range     = "5432"
    source_address_prefix      = "10.20.2.0/24"
    destination_address_prefix = "*"
  }
}

resource "azurerm_subnet_network_security_group_association" "postgres" {
  subnet_id                 = azurerm_subnet.s.id
  network_security_group_id = azurerm_network_security_group.postgres.id
}

resource "azurerm_private_dns_zone" "z" {
  name                = "inventory.private.postgres.database.azure.com"
  resource_group_name = azurerm_resource_group.this.name
}

module "postgres" {
  source = "./modules/postgres"

  name                = "psql-inventory-prod"
  resource_group_name = azurerm_resource_group.this.name
  location            = azurerm_resource_group.this.location

  # Apply-time values inside objects whose other attributes are optional().
  network = {
    delegated_subnet_id = azurerm_subnet.s.id
    private_dns_zone_id = azurerm_private_dns_zone.z.id
  }

  security = {
    tenant_id = data.azurerm_client_config.current.tenant_id
    admin_group = {
      object_id = "4a2c6e8b-0f1d-4b3a-9c5e-7d9f1b3a5c7e"
      name      = "sg-inventory-dba"
    }
  }

  depends_on = [azurerm_subnet_network_security_group_association.postgres]
}
