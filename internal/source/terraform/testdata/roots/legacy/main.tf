/*
module "old" {
  source = "../standalone"
}
*/
# module "older" { source = "../standalone" }
locals {
  note = <<-EOT
    source = "../standalone"
  EOT
}
