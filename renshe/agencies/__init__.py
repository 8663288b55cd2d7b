"""Employment Online (就业在线): public employment and talent service institutions and licensed human-resources
service agencies onboard, publish their services, are listed and rated; the share of public institutions
onboard per region is measured against the action plan's targets."""
