-- demo/site/seed.sql: a small demo community for the PHP demo site, added
-- by demo/site/up unless FOLLOW_DEMO_SEED=0.  Applying it twice changes
-- nothing (users are matched by username); it never touches other rows.
BEGIN;
INSERT INTO users (username, display_name) VALUES
	('ada', 'Ada Lovelace'), ('grace', 'Grace Hopper'),
	('linus', 'Linus Torvalds'), ('ken', 'Ken Thompson'),
	('barbara', 'Barbara Liskov'), ('dennis', 'Dennis Ritchie'),
	('margaret', 'Margaret Hamilton'), ('edsger', 'Edsger Dijkstra')
ON CONFLICT (username) DO NOTHING;

INSERT INTO user_follows (follower_id, following_id)
SELECT a.id, b.id FROM (VALUES
	('ada', 'grace'), ('ada', 'ken'), ('grace', 'ada'),
	('linus', 'ken'), ('linus', 'dennis'), ('ken', 'dennis'),
	('dennis', 'ken'), ('barbara', 'edsger'), ('margaret', 'grace'),
	('edsger', 'barbara'), ('grace', 'margaret'), ('ken', 'ada'))
	AS f (a, b)
JOIN users a ON a.username = f.a JOIN users b ON b.username = f.b
ON CONFLICT DO NOTHING;

INSERT INTO posts (author_id, title, body, status, created_at)
SELECT u.id, p.title, p.body, p.status, now() - p.age
FROM (VALUES
	('grace', 'Nanoseconds', 'A foot of wire is a nanosecond.', 'published', interval '2 hours'),
	('grace', 'Bugs', 'Found a moth in relay 70.', 'published', interval '3 days'),
	('ken', 'Trusting trust', 'You can''t trust code you did not totally create yourself.', 'published', interval '5 hours'),
	('ken', 'Draft: regex', 'Not ready yet.', 'draft', interval '1 hour'),
	('dennis', 'C', 'C is quirky, flawed, and an enormous success.', 'published', interval '1 day'),
	('ada', 'Notes', 'The Analytical Engine weaves algebraic patterns.', 'published', interval '30 minutes'),
	('edsger', 'GOTO', 'Go To Statement Considered Harmful.', 'published', interval '2 days'),
	('barbara', 'Substitution', 'Subtypes must be substitutable.', 'published', interval '4 hours'),
	('margaret', 'Apollo', 'There was no second chance.', 'published', interval '6 hours'))
	AS p (who, title, body, status, age)
JOIN users u ON u.username = p.who
WHERE NOT EXISTS (SELECT 1 FROM posts x WHERE x.author_id = u.id
	AND x.title = p.title);
COMMIT;
