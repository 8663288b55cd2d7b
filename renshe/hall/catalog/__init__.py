"""The item catalog (事项目录): national specifications, local items, adaptations."""
