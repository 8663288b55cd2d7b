"""Unemployment insurance (失业保险): the benefit rules of 《失业保险条例》, calculators on the CLI and the API."""
