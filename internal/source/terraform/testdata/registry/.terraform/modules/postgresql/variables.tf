variable "name" {
  type = string
}
variable "location" {
  type = string
}
variable "resource_group_name" {
  type = string
}
variable "administrator_login" {
  type    = string
  default = null
}
variable "administrator_password" {
  type      = string
  default   = null
  sensitive = true
}
variable "public_network_access_enabled" {
  type    = bool
  default = false
}
variable "sku_name" {
  type    = string
  default = "GP_Standard_D2s_v3"
}
variable "server_version" {
  type    = string
  default = "16"
}
variable "zone" {
  type    = string
  default = null
}
variable "high_availability" {
  type = object({
    mode                      = optional(string, "ZoneRedundant")
    standby_availability_zone = optional(string)
  })
  default = null
}
variable "diagnostic_settings" {
  type = map(object({
    name                  = optional(string, null)
    log_groups            = optional(set(string), ["allLogs"])
    workspace_resource_id = optional(string, null)
  }))
  default  = {}
  nullable = false
}
