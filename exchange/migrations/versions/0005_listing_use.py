"""listing use: what the listing's site is or does (district_heating, cement_plant ...)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21 07:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('use', sa.String(length=40), nullable=True))


def downgrade():
    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.drop_column('use')
