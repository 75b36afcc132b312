reporting_password = "Rep0rt!ng-2024"
