"""Units (Cục, Vụ …), their kinds and last year's published indices."""
