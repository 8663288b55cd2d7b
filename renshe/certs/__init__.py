"""Electronic certificate library (电子证照库)."""
