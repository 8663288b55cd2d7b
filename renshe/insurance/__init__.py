"""Social insurance (社会保险): insured units and persons, contributions, assessment, collection, accounts."""
