environment       = "prod"
pg_admin_password = "Crm-Pr0d-Passw0rd-2026"
