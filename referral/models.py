"""referral models: added by its issue."""
