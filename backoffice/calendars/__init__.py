"""Working-day calendars and deadline arithmetic (spec/SLA.md, "Calendar" and "Counting")."""
