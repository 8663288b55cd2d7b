"""Benefits paid into the card's bank account (待遇进卡)."""
