"""Who is who: members and their accounts, staff, station credentials."""
