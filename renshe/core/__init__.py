"""The kernel every capability stands on: settings, data, identifiers, auth, audit, events."""
