"""match run progress: stage, progress, heartbeat and job of a run

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21 04:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('match_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stage', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('progress', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('job', sa.String(length=120), nullable=True))
    # runs stored before this revision are finished (or failed): say so
    op.execute("UPDATE match_runs SET stage = status, progress = 1.0 WHERE status IN ('done', 'failed')")
    # a run left 'running' by an older version can never finish: release its park
    op.execute("UPDATE match_runs SET status = 'failed', stage = 'failed', "
               "error = 'interrupted: the exchange was upgraded while the run was going' WHERE status = 'running'")


def downgrade():
    with op.batch_alter_table('match_runs', schema=None) as batch_op:
        batch_op.drop_column('job')
        batch_op.drop_column('updated_at')
        batch_op.drop_column('progress')
        batch_op.drop_column('stage')
