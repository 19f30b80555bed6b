-- The Nexmark queries of samples/nexmark/QUERIES.md in SQLite SQL: the oracle
-- that nexmark_matches_sql.test.cpp compares `nexmark run` against. Written
-- from the contract alone, without the C++ queries' code.
--
-- Tables (sql_oracle.cpp loads them from a `nexmark generate` file; seq is an
-- event's 0-based line number):
--   person(seq, id, name, email_address, credit_card, city, state, date_time, extra)
--   auction(seq, id, item_name, description, initial_bid, reserve, date_time,
--           expires, seller, category, extra)
--   bid(seq, auction, bidder, price, channel, url, date_time, extra)
--
-- Each query follows a line `-- qN` and ends with `;`. Its columns are the
-- output columns of QUERIES.md in order; the test reads every column as text
-- and joins them with tabs, so numbers meant as %.3f are formatted here.
-- q18 and q19 give the final table of their changelog, without the +/-.
--
-- %.3f: price_eur uses SQLite's printf, which rounds a half up where C's
-- printf rounds the exact binary value half to even. 0.908 * price is never
-- near a half (its exact value has three decimals), so both agree. An
-- average sum / total can be exactly half way (a denominator of 16, say
-- 1/16 = 0.0625 -> "0.062" in C, "0.063" in SQLite), so q17 rounds it in
-- integers, half to even, as C does.

-- q0
SELECT auction, bidder, price, date_time
FROM bid;

-- q1
SELECT auction, bidder, printf('%.3f', 0.908 * price), date_time
FROM bid;

-- q2
SELECT auction, price
FROM bid
WHERE auction % 123 = 0;

-- q3
SELECT p.name, p.city, p.state, a.id
FROM auction AS a
JOIN person AS p ON a.seller = p.id
WHERE p.state IN ('OR', 'ID', 'CA') AND a.category = 10;

-- q5
WITH
  k(k) AS (VALUES (0), (1), (2), (3), (4)),
  windowed AS (
    SELECT date_time - date_time % 2000 - k.k * 2000 AS window_start, auction
    FROM bid, k),
  counts AS (
    SELECT window_start, auction, count(*) AS bid_count
    FROM windowed
    GROUP BY window_start, auction),
  highest AS (
    SELECT window_start, max(bid_count) AS bid_count
    FROM counts
    GROUP BY window_start)
SELECT c.window_start, c.window_start + 10000, c.auction, c.bid_count
FROM counts AS c
JOIN highest AS h ON h.window_start = c.window_start AND h.bid_count = c.bid_count;

-- q7
WITH
  windowed AS (
    SELECT date_time - date_time % 10000 AS window_start, auction, bidder, price, date_time
    FROM bid),
  highest AS (
    SELECT window_start, max(price) AS price
    FROM windowed
    GROUP BY window_start)
SELECT w.window_start, w.auction, w.bidder, w.price, w.date_time
FROM windowed AS w
JOIN highest AS h ON h.window_start = w.window_start AND h.price = w.price;

-- q8
SELECT p.id, p.name, p.date_time - p.date_time % 10000
FROM person AS p
WHERE EXISTS (
  SELECT 1
  FROM auction AS a
  WHERE a.seller = p.id
    AND a.date_time - a.date_time % 10000 = p.date_time - p.date_time % 10000);

-- q11
WITH
  marked AS (
    SELECT bidder, date_time, seq,
           CASE WHEN date_time - lag(date_time) OVER (PARTITION BY bidder ORDER BY date_time, seq)
                     <= 10000
                THEN 0 ELSE 1 END AS starts_session
    FROM bid),
  numbered AS (
    SELECT bidder, date_time,
           sum(starts_session) OVER (PARTITION BY bidder ORDER BY date_time, seq
                                     ROWS UNBOUNDED PRECEDING) AS session
    FROM marked)
SELECT bidder, count(*), min(date_time), max(date_time) + 10000
FROM numbered
GROUP BY bidder, session;

-- q14
WITH hours AS (
  SELECT auction, bidder, price, date_time, extra,
         CAST(strftime('%H', date_time / 1000, 'unixepoch') AS INTEGER) AS h
  FROM bid)
SELECT auction, bidder, printf('%.3f', 0.908 * price),
       CASE WHEN h >= 8 AND h <= 18 THEN 'dayTime'
            WHEN h <= 6 OR h >= 20 THEN 'nightTime'
            ELSE 'otherTime' END,
       date_time,
       length(extra) - length(replace(extra, 'c', ''))
FROM hours
WHERE 0.908 * price > 1000000 AND 0.908 * price < 50000000;

-- q15
SELECT strftime('%Y-%m-%d', date_time / 1000, 'unixepoch') AS day,
       count(*),
       sum(price < 10000),
       sum(price >= 10000 AND price < 1000000),
       sum(price >= 1000000),
       count(DISTINCT bidder),
       count(DISTINCT CASE WHEN price < 10000 THEN bidder END),
       count(DISTINCT CASE WHEN price >= 10000 AND price < 1000000 THEN bidder END),
       count(DISTINCT CASE WHEN price >= 1000000 THEN bidder END),
       count(DISTINCT auction),
       count(DISTINCT CASE WHEN price < 10000 THEN auction END),
       count(DISTINCT CASE WHEN price >= 10000 AND price < 1000000 THEN auction END),
       count(DISTINCT CASE WHEN price >= 1000000 THEN auction END)
FROM bid
GROUP BY day;

-- q17
WITH
  per_day AS (
    SELECT auction, strftime('%Y-%m-%d', date_time / 1000, 'unixepoch') AS day,
           count(*) AS total,
           sum(price < 10000) AS b1,
           sum(price >= 10000 AND price < 1000000) AS b2,
           sum(price >= 1000000) AS b3,
           min(price) AS min_price,
           max(price) AS max_price,
           sum(price) AS sum_price
    FROM bid
    GROUP BY auction, day),
  -- sum_price / total in thousandths, rounded half to even (prices are >= 0).
  thousandths AS (
    SELECT *,
           sum_price * 1000 / total AS q,
           2 * (sum_price * 1000 % total) AS twice_rest
    FROM per_day),
  rounded AS (
    SELECT *,
           q + (twice_rest > total OR (twice_rest = total AND q % 2 = 1)) AS avg_thousandths
    FROM thousandths)
SELECT auction, day, total, b1, b2, b3, min_price, max_price,
       (avg_thousandths / 1000) || '.' || printf('%03d', avg_thousandths % 1000),
       sum_price
FROM rounded;

-- q18
WITH ranked AS (
  SELECT bidder, auction, price, date_time,
         row_number() OVER (PARTITION BY bidder, auction ORDER BY date_time DESC, seq DESC) AS n
  FROM bid)
SELECT bidder, auction, price, date_time
FROM ranked
WHERE n = 1;

-- q19
WITH ranked AS (
  SELECT auction, bidder, price, date_time,
         row_number() OVER (PARTITION BY auction ORDER BY price DESC, seq ASC) AS n
  FROM bid)
SELECT auction, bidder, price, date_time
FROM ranked
WHERE n <= 10;

-- q20
SELECT b.auction, b.bidder, b.price, b.date_time, a.item_name, a.category
FROM bid AS b
JOIN auction AS a ON a.id = b.auction
WHERE a.category = 10;

-- q21
WITH
  found AS (
    SELECT auction, bidder, price, channel, url, lower(channel) AS lc,
           instr(url, 'channel_id=') AS at
    FROM bid),
  after AS (
    SELECT *, CASE WHEN at > 0 THEN substr(url, at + length('channel_id=')) END AS rest
    FROM found)
SELECT auction, bidder, price, channel,
       CASE lc WHEN 'apple' THEN '0'
               WHEN 'google' THEN '1'
               WHEN 'facebook' THEN '2'
               WHEN 'baidu' THEN '3'
               ELSE CASE WHEN instr(rest, '&') > 0 THEN substr(rest, 1, instr(rest, '&') - 1)
                         ELSE rest END END
FROM after
WHERE lc IN ('apple', 'google', 'facebook', 'baidu') OR at > 0;

-- q22
WITH
  -- piece: the text up to the first '/' of rest; rest: the text after it
  -- (NULL once there is no '/' left, so later pieces are NULL: missing).
  -- Materialized: inlined, each step would repeat the previous ones' text.
  s1 AS MATERIALIZED (
    SELECT auction, bidder, price, channel,
           CASE WHEN instr(url, '/') > 0 THEN substr(url, instr(url, '/') + 1) END AS rest
    FROM bid),
  s2 AS MATERIALIZED (
    SELECT auction, bidder, price, channel,
           CASE WHEN instr(rest, '/') > 0 THEN substr(rest, instr(rest, '/') + 1) END AS rest
    FROM s1),
  s3 AS MATERIALIZED (
    SELECT auction, bidder, price, channel,
           CASE WHEN instr(rest, '/') > 0 THEN substr(rest, instr(rest, '/') + 1) END AS rest
    FROM s2),
  p4 AS MATERIALIZED (
    SELECT auction, bidder, price, channel,
           CASE WHEN instr(rest, '/') > 0 THEN substr(rest, 1, instr(rest, '/') - 1)
                ELSE rest END AS dir1,
           CASE WHEN instr(rest, '/') > 0 THEN substr(rest, instr(rest, '/') + 1) END AS rest
    FROM s3),
  p5 AS MATERIALIZED (
    SELECT auction, bidder, price, channel, dir1,
           CASE WHEN instr(rest, '/') > 0 THEN substr(rest, 1, instr(rest, '/') - 1)
                ELSE rest END AS dir2,
           CASE WHEN instr(rest, '/') > 0 THEN substr(rest, instr(rest, '/') + 1) END AS rest
    FROM p4),
  p6 AS (
    SELECT auction, bidder, price, channel, dir1, dir2,
           CASE WHEN instr(rest, '/') > 0 THEN substr(rest, 1, instr(rest, '/') - 1)
                ELSE rest END AS dir3
    FROM p5)
SELECT auction, bidder, price, channel, coalesce(dir1, ''), coalesce(dir2, ''), coalesce(dir3, '')
FROM p6;
