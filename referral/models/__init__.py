"""The referral app's models: referral itself, and (until they move to an app of their own)
the group-buy and assist plays."""

from referral.models.assist import (  # noqa: F401
    AssistCampaign,
    AssistHelp,
    AssistTask,
)
from referral.models.groupbuy import (  # noqa: F401
    GroupBuyGroup,
    GroupBuyMember,
    GroupBuyOffer,
)
from referral.models.referral import (  # noqa: F401
    CODE_ALPHABET,
    CODE_LENGTH,
    SCENE_ALLOWED,
    SCENE_MAX_LENGTH,
    Channel,
    FlagReason,
    Milestone,
    MilestoneAward,
    PosterTemplate,
    Referral,
    ReferralConfig,
    ReferralProfile,
    Reward,
    RewardRule,
    Scan,
    channel_code_validator,
    poster_background_upload_to,
    text_color_validator,
)
