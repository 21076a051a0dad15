"""One-click reports: store, API, SOC delivery, simulations. Never imports admin, addins, mailflow."""
