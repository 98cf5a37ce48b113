"""The pages' routers, one per resource."""
