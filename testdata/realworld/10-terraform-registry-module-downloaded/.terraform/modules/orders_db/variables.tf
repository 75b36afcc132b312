variable "name" {
  type        = string
  description = "The name of the PostgreSQL flexible server."
  nullable    = false

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", var.name))
    error_message = "The name must be 3 to 63 lowercase letters, digits and hyphens."
  }
}

variable "resource_group_name" {
  type        = string
  description = "The resource group of the server."
}

variable "location" {
  type        = string
  description = "The Azure region."
  nullable    = false
}

variable "server_version" {
  type        = string
  default     = "16"
  description = "The PostgreSQL major version."
}

variable "sku_name" {
  type        = string
  default     = "GP_Standard_D2s_v3"
  description = "The SKU."
}

variable "zone" {
  type        = string
  default     = null
  description = "The availability zone of the primary."
}

variable "administrator_login" {
  type        = string
  default     = null
  description = "The administrator login, when password authentication is on."
}

variable "administrator_password" {
  type        = string
  default     = null
  sensitive   = true
  description = "The administrator password; a random one is generated when null and password authentication is on."
}

variable "authentication" {
  type = object({
    active_directory_auth_enabled = optional(bool, true)
    password_auth_enabled         = optional(bool, false)
    tenant_id                     = optional(string)
  })
  default     = {}
  nullable    = false
  description = "Authentication: Microsoft Entra only unless said otherwise."
}

variable "ad_administrators" {
  type = map(object({
    object_id      = string
    principal_name = string
    principal_type = optional(string, "Group")
    tenant_id      = optional(string)
  }))
  default     = {}
  nullable    = false
  description = "Microsoft Entra administrators."
}

variable "public_network_access_enabled" {
  type        = bool
  default     = false
  description = "Whether the server is reachable from public networks."
}

variable "delegated_subnet_id" {
  type        = string
  default     = null
  description = "The delegated subnet for private access."
}

variable "private_dns_zone_id" {
  type        = string
  default     = null
  description = "The private DNS zone for private access."
}

variable "backup_retention_days" {
  type        = number
  default     = 7
  description = "Days of backups."
}

variable "geo_redundant_backup_enabled" {
  type        = bool
  default     = true
  description = "Geo-redundant backups."
}

variable "high_availability" {
  type = object({
    mode                      = optional(string, "ZoneRedundant")
    standby_availability_zone = optional(string)
  })
  default     = {}
  description = "High availability; null turns it off."
}

variable "customer_managed_key" {
  type = object({
    key_vault_key_id                  = string
    primary_user_assigned_identity_id = string
  })
  default     = null
  description = "A customer-managed key."
}

variable "server_configuration" {
  type        = map(string)
  default     = {}
  nullable    = false
  description = "Server parameters by name."
}

variable "firewall_rules" {
  type = map(object({
    start_ip_address = string
    end_ip_address   = string
  }))
  default     = {}
  nullable    = false
  description = "Firewall rules."
}

variable "diagnostic_settings" {
  type = map(object({
    name                       = optional(string, null)
    log_categories             = optional(set(string), [])
    log_groups                 = optional(set(string), ["allLogs"])
    metric_categories          = optional(set(string), ["AllMetrics"])
    workspace_resource_id      = optional(string, null)
    storage_account_resource_id = optional(string, null)
  }))
  default     = {}
  nullable    = false
  description = "Diagnostic settings."
}

variable "tags" {
  type        = map(string)
  default     = null
  description = "Tags."
}

variable "enable_telemetry" {
  type        = bool
  default     = true
  description = "Module telemetry."
}
