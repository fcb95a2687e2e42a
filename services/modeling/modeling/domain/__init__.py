"""Domain of the modeling service: the model aggregate (`model`: entities, enums, rules, domain
errors) and its pure transitions (`transitions`). Import from those modules."""
