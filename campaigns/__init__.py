"""The plays that spread through friends and sell through the mall: group-buy (拼团), assist and
bargain (助力, 砍价). Each play is a package of its own (models, services, selectors, admin, api)
and knows no other play; what they share lives in the layers below (mall, referral, points)."""
