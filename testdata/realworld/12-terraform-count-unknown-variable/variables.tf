variable "environment" {
  type    = string
  default = "staging"
}

variable "create_admin" {
  type        = bool
  description = "Whether to add the Microsoft Entra administrator (set per environment in the pipeline)."
}

variable "admin_group_object_id" {
  type    = string
  default = "6f4d2b0a-8e7c-4a5b-9d3f-1c0e8b6a4d2f"
}
