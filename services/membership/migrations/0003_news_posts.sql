-- News and updates the network's admins publish on the portal and in its Atom feed.
-- Who wrote a post is not kept: the network speaks as one.
CREATE TABLE news_posts (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 80),
    title text NOT NULL CHECK (length(title) BETWEEN 1 AND 160),
    body text NOT NULL CHECK (length(body) BETWEEN 1 AND 20000),
    published_on date NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    withdrawn boolean NOT NULL DEFAULT false
);
CREATE INDEX news_posts_listing ON news_posts (published_on DESC, updated_at DESC)
    WHERE NOT withdrawn;
