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

resource "azurerm_resource_group" "monitoring" {
  name     = "rg-events-monitoring"
  location = "centralus"
}

/*
  Not yet: once the events database moves into this stack, call it as a module:

  module "events_db" {
    source = "../x"
  }
*/

# module "events_db_v2" {
#   source = "../x"
# }
