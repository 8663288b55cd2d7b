"""Employment-support subsidies online (就业扶持政策网上申领): a policy catalog with eligibility rules as data,
checked against shared data before a person applies, a clerk's review, and one payment into the card."""
