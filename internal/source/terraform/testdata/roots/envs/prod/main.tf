module "pg" {
  source = "../../modules/pg"
  name   = "psql-prod"
}
