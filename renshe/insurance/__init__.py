"""Social insurance ledger: insured units and persons, contribution declaration, assessment, collection, accounts."""
