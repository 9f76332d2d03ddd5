"""SQLAlchemy models, one file per aggregate. Importing this package registers them all."""
from models.base import Base
from models.follower import Follower

__all__ = ["Base", "Follower"]
