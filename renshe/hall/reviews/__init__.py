"""好差评 and 整改: ratings, rectification cases, the satisfaction dashboard."""
