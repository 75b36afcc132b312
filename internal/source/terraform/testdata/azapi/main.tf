# A flexible server created with azapi_resource, whose body is the ARM
# request: it sets only what it must, so Azure's defaults decide public
# access, authentication, encryption and high availability.
# ../azapi-export.json is what Azure Resource Manager returns for it.
terraform {
  required_providers {
    azapi = {
      source  = "Azure/azapi"
      version = "~> 2.0"
    }
  }
}

variable "administrator_password" {
  type      = string
  sensitive = true
}

resource "azapi_resource" "server" {
  type      = "Microsoft.DBforPostgreSQL/flexibleServers@2024-08-01"
  name      = "psql-azapi"
  parent_id = "/subscriptions/6f1a9c52-3b7e-4d0a-9f4e-2c8b7d1e5a90/resourceGroups/rg-azapi"
  location  = "westeurope"

  body = {
    sku = {
      name = "Standard_B1ms"
      tier = "Burstable"
    }
    properties = {
      version                    = "16"
      administratorLogin         = "psqladmin"
      administratorLoginPassword = var.administrator_password
      storage = {
        storageSizeGB = 32
      }
    }
  }
}

resource "azapi_resource" "require_secure_transport" {
  type      = "Microsoft.DBforPostgreSQL/flexibleServers/configurations@2024-08-01"
  name      = "require_secure_transport"
  parent_id = azapi_resource.server.id

  body = {
    properties = {
      value  = "on"
      source = "user-override"
    }
  }
}
