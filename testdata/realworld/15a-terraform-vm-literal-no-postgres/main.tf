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

resource "azurerm_resource_group" "lab" {
  name     = "rg-build-agents"
  location = "eastus2"
}

resource "azurerm_virtual_network" "lab" {
  name                = "vnet-build-agents"
  address_space       = ["10.40.0.0/16"]
  location            = azurerm_resource_group.lab.location
  resource_group_name = azurerm_resource_group.lab.name
}

resource "azurerm_subnet" "agents" {
  name                 = "snet-agents"
  resource_group_name  = azurerm_resource_group.lab.name
  virtual_network_name = azurerm_virtual_network.lab.name
  address_prefixes     = ["10.40.1.0/24"]
}

resource "azurerm_network_interface" "agent" {
  name                = "nic-agent-01"
  location            = azurerm_resource_group.lab.location
  resource_group_name = azurerm_resource_group.lab.name

  ip_configuration {
    name                          = "internal"
    subnet_id                     = azurerm_subnet.agents.id
    private_ip_address_allocation = "Dynamic"
  }
}

# A lab VM with a password written in the code: a finding for a VM or
# secrets scanner, but outside the PostgreSQL baseline.
resource "azurerm_linux_virtual_machine" "agent" {
  name                            = "vm-agent-01"
  resource_group_name             = azurerm_resource_group.lab.name
  location                        = azurerm_resource_group.lab.location
  size                            = "Standard_D2s_v5"
  admin_username                  = "azureagent"
  admin_password                  = "Bu1ld-Ag3nt-Lab!"
  disable_password_authentication = false
  network_interface_ids           = [azurerm_network_interface.agent.id]

  os_disk {
    caching              = "ReadWrite"
    storage_account_type = "Standard_LRS"
  }

  source_image_reference {
    publisher = "Canonical"
    offer     = "ubuntu-24_04-lts"
    sku       = "server"
    version   = "latest"
  }
}
