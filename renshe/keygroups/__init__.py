"""Key-group labour database (重点群体劳动者信息库): graduates, migrant workers and hard-to-employ people, their
employment state derived from shared data, the services they received and the clerk's worklist."""
