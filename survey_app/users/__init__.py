"""User accounts in the browser (admins): list, create, deactivate, reset links."""
