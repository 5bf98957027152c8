"""The demo ministry of DOMAIN.md: two criteria sets, 10 Cục, 11 apparatus units, a round."""
