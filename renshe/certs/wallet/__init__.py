"""The holder's wallet and the staff's list: certificates shown, searched, rendered as PDF."""
