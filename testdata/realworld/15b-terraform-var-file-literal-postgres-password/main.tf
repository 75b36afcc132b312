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

variable "environment" {
  type = string
}

variable "pg_admin_login" {
  type    = string
  default = "pgadmin"
}

variable "pg_admin_password" {
  type      = string
  sensitive = true
}

resource "azurerm_resource_group" "this" {
  name     = "rg-crm-${var.environment}"
  location = "australiaeast"
}

resource "azurerm_postgresql_flexible_server" "crm" {
  name                          = "psql-crm-${var.environment}"
  resource_group_name           = azurerm_resource_group.this.name
  location                      = azurerm_resource_group.this.location
  version                       = "15"
  sku_name                      = "GP_Standard_D2ds_v5"
  administrator_login           = var.pg_admin_login
  administrator_password        = var.pg_admin_password
  public_network_access_enabled = false
  zone                          = "1"
}
