"""Dashboards across capabilities (监测分析): figures that several domains' services compute, put side by side
for a supervisor, with charts and XLSX export."""
