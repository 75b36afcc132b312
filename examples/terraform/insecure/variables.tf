variable "reporting_password" {
  type      = string
  sensitive = true
}
