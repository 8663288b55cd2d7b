"""Public recruitment (公共招聘): postings coded with the national occupation classification, Chinese full-text
search, applications, moderation, reports of fake postings, matching, and the national search at the hub."""
