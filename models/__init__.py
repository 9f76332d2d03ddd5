"""SQLAlchemy models, one file per aggregate. Importing this package registers them all."""
from models.base import Base
from models.family import Family, FamilyMember
from models.follower import Follower
from models.ledger import Account, LedgerEntry, LotMovement, PointLot
from models.member import Member, WeChatBinding
from models.sale import Outbox, Sale, SaleDiscount, SaleLine, SaleRefund
from models.station import FuelGrade, ShopCategory, Station, StationPrice
from models.tier import Tier

__all__ = ["Base", "Follower", "Member", "WeChatBinding", "Station", "FuelGrade", "StationPrice",
           "ShopCategory", "Tier", "Family", "FamilyMember", "Account", "LedgerEntry", "PointLot",
           "LotMovement", "Sale", "SaleLine", "SaleDiscount", "SaleRefund", "Outbox"]
