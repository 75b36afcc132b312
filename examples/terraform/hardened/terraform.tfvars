servers = {
  api = {}
  reporting = {
    version  = "17"
    sku_name = "MO_Standard_E4ds_v5"
    extra_parameters = {
      "pgaudit.log" = "ddl,role,write"
    }
  }
}

entra_administrator = {
  object_id      = "5b8c1f2e-3d4a-4e6b-9c7d-8e9f0a1b2c3d"
  principal_name = "sg-postgres-admins"
}

tags = {
  environment = "prod"
  owner       = "platform-team"
}
