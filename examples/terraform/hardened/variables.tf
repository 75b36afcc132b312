variable "workload" {
  type    = string
  default = "orders"
}

variable "environment" {
  type    = string
  default = "prod"
}

variable "location" {
  type    = string
  default = "westeurope"
}

variable "paired_location" {
  description = "Region of the geo-backup key; Azure restores geo-redundant backups in the paired region."
  type        = string
  default     = "northeurope"
}

variable "analytics_enabled" {
  type    = bool
  default = true
}

variable "address_space" {
  type    = string
  default = "10.20.0.0/16"
}

variable "servers" {
  type = map(object({
    version          = optional(string, "16")
    sku_name         = optional(string, "GP_Standard_D4ds_v5")
    extra_parameters = optional(map(string), {})
  }))
}

variable "entra_administrator" {
  type = object({
    object_id      = string
    principal_name = string
    principal_type = optional(string, "Group")
  })
}

variable "tags" {
  type    = map(string)
  default = {}
}
