"""Certificate types (证照类型): the configured catalog and the check of a type's fields."""
