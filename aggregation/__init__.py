"""Pure survey statistics and index computation: arrays and dataclasses in, dataclasses out."""
