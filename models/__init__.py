"""SQLAlchemy models, one file per aggregate. Importing this package registers them all."""
from models.base import Base
from models.campaign import Campaign, CampaignArm, CampaignMember, Segment
from models.console import Adjustment, ChangeRecord
from models.coupon import Coupon, CouponTemplate
from models.delivery import Delivery, NoticeAcceptance
from models.family import Family, FamilyInvite, FamilyMember
from models.feedback import FeedbackTicket
from models.follower import Follower
from models.invoice import InvoiceRequest, InvoiceTitle
from models.ledger import Account, AccountKind, LedgerEntry, LotMovement, PointLot
from models.member import Member, WeChatBinding
from models.checkin import CheckIn
from models.profile import MemberProfile, MemberTag, TagRule
from models.push_preference import PushPreference
from models.referral import Referral, ReferralCode, ReferralScan
from models.reward import Redemption, RewardItem
from models.rule import EarningRule, PointsMultiplier, RuleSet
from models.reference import ReferenceVersion
from models.rollup import (CouponDay, GradeDay, Liability, MemberWeek, PointsExpiry, PushDay, SalesHour,
                           StationMember, TierCount)
from models.sale import DailyTotal, Outbox, Sale, SaleDiscount, SaleLine, SaleRefund
from models.staff import Staff
from models.survey import SurveyRating
from models.station import FuelGrade, ShopCategory, Station, StationPrice
from models.stored_value import TopupBonusRule
from models.tier import Tier, TierChange, TierReward
from models.wording import NoticeTemplate, ReplyText

__all__ = ["Base", "AccountKind", "Follower", "Member", "WeChatBinding", "Station", "FuelGrade", "StationPrice",
           "ShopCategory", "Tier", "Family", "FamilyMember", "Account", "LedgerEntry", "PointLot",
           "LotMovement", "Sale", "SaleLine", "SaleDiscount", "SaleRefund", "Outbox",
           "CouponTemplate", "Coupon", "RewardItem", "Redemption", "FamilyInvite",
           "RuleSet", "EarningRule", "PointsMultiplier", "TierChange", "TierReward",
           "TopupBonusRule", "Staff", "PushPreference", "ReferralCode", "ReferralScan", "Referral",
           "FeedbackTicket", "ChangeRecord", "Adjustment", "InvoiceTitle", "InvoiceRequest", "CheckIn",
           "SurveyRating", "Delivery", "NoticeAcceptance", "DailyTotal", "ReferenceVersion",
           "MemberProfile", "TagRule", "MemberTag",
           "SalesHour", "GradeDay", "StationMember", "MemberWeek", "TierCount", "Liability", "PointsExpiry",
           "CouponDay", "PushDay", "NoticeTemplate", "ReplyText",
           "Segment", "Campaign", "CampaignArm", "CampaignMember"]
