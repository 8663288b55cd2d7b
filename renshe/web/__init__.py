"""The web entry point: app factory, layout, entrances, sign-in pages; mounts each domain's routers."""
