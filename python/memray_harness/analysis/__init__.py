"""What the requests tell once they are known: heap growth per request and the leak verdict."""
