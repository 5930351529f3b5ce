package main

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// schemaSQL is the shop's database: customers and orders, and the
// customer_changes outbox the application writes in the same transaction as
// every customer change (the transactional outbox pattern; a log-based tool
// such as Debezium produces the same events from the database's log).
const schemaSQL = `
CREATE TABLE customers (
	id         INTEGER PRIMARY KEY,
	email      TEXT NOT NULL,
	tier       TEXT NOT NULL,
	updated_at DATETIME NOT NULL
);
CREATE TABLE orders (
	id          INTEGER PRIMARY KEY,
	customer_id INTEGER NOT NULL,
	status      TEXT NOT NULL,
	total       REAL NOT NULL,
	created_at  DATETIME NOT NULL,
	updated_at  DATETIME NOT NULL
);
CREATE INDEX orders_cursor ON orders (updated_at, id);
CREATE TABLE customer_changes (
	lsn        INTEGER PRIMARY KEY,
	op         TEXT NOT NULL,
	id         INTEGER NOT NULL,
	email      TEXT,
	tier       TEXT,
	changed_at DATETIME NOT NULL
);`

// shop plays the application: each day it signs up customers, changes some
// (tier upgrades, new emails), deletes a few, takes orders and moves earlier
// ones along (placed, shipped, delivered). Everything is seeded and every
// write has a timestamp inside its day, so the database goes through the
// same states on every run.
type shop struct {
	db        *sql.DB
	rng       *rand.Rand
	customers []int64 // live customer ids, in sign-up order
	open      []order // orders not delivered yet
	nextID    int64   // next customer id
	nextOrder int64
	lsn       int64
}

type order struct {
	id     int64
	status string
}

// activity counts what the application did on one day.
type activity struct {
	SignUps, Updates, Deletes int
	NewOrders, OrderUpdates   int
}

func openShop(ctx context.Context, db *sql.DB, seed uint64) (*shop, error) {
	if _, err := db.ExecContext(ctx, schemaSQL); err != nil {
		return nil, fmt.Errorf("create schema: %w", err)
	}
	return &shop{db: db, rng: rand.New(rand.NewPCG(seed, 0)), nextID: 1, nextOrder: 1}, nil
}

// day runs one day of business with about size customers' worth of
// activity. The first day signs everyone up.
func (s *shop) day(ctx context.Context, day time.Time, size int, first bool) (activity, error) {
	var a activity
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return a, err
	}
	defer tx.Rollback()
	signUps := size / 50
	if first {
		signUps = size
	}
	// Events happen in time order from 08:00, spread over about 14 hours
	// whatever the size.
	events := signUps + size/30 + max(size/200, 1) + len(s.open) + size/4
	step := int64(14*time.Hour/time.Millisecond) / int64(events+1)
	clock := day.Add(8 * time.Hour)
	tick := func() time.Time {
		clock = clock.Add(time.Duration(1+s.rng.Int64N(2*step)) * time.Millisecond)
		return clock
	}
	change := func(op string, id int64, email, tier any, at time.Time) error {
		s.lsn++
		_, err := tx.ExecContext(ctx, `INSERT INTO customer_changes VALUES ($1, $2, $3, $4, $5, $6)`, s.lsn, op, id, email, tier, at)
		return err
	}

	for range signUps {
		id, at := s.nextID, tick()
		s.nextID++
		email, tier := fmt.Sprintf("user%d@example.com", id), "basic"
		if _, err := tx.ExecContext(ctx, `INSERT INTO customers VALUES ($1, $2, $3, $4)`, id, email, tier, at); err != nil {
			return a, err
		}
		if err := change("c", id, email, tier, at); err != nil {
			return a, err
		}
		s.customers = append(s.customers, id)
		a.SignUps++
	}
	if !first {
		for range size / 30 {
			id, at := s.customers[s.rng.IntN(len(s.customers))], tick()
			tier := []string{"basic", "silver", "gold"}[s.rng.IntN(3)]
			email := fmt.Sprintf("user%d.%d@example.com", id, s.rng.IntN(100))
			if _, err := tx.ExecContext(ctx, `UPDATE customers SET email = $1, tier = $2, updated_at = $3 WHERE id = $4`, email, tier, at, id); err != nil {
				return a, err
			}
			if err := change("u", id, email, tier, at); err != nil {
				return a, err
			}
			a.Updates++
		}
		for range max(size/200, 1) {
			i, at := s.rng.IntN(len(s.customers)), tick()
			id := s.customers[i]
			if _, err := tx.ExecContext(ctx, `DELETE FROM customers WHERE id = $1`, id); err != nil {
				return a, err
			}
			// A delete event carries the key (and, in Debezium, the row
			// before it was deleted); there is no after image.
			if err := change("d", id, nil, nil, at); err != nil {
				return a, err
			}
			s.customers = append(s.customers[:i], s.customers[i+1:]...)
			a.Deletes++
		}
	}

	// Yesterday's orders move along, then today's come in.
	still := s.open[:0]
	for _, o := range s.open {
		if s.rng.Float64() < 0.6 {
			o.status = map[string]string{"placed": "shipped", "shipped": "delivered"}[o.status]
			if _, err := tx.ExecContext(ctx, `UPDATE orders SET status = $1, updated_at = $2 WHERE id = $3`, o.status, tick(), o.id); err != nil {
				return a, err
			}
			a.OrderUpdates++
		}
		if o.status != "delivered" {
			still = append(still, o)
		}
	}
	s.open = still
	for range size / 4 {
		id, at := s.nextOrder, tick()
		s.nextOrder++
		customer := s.customers[s.rng.IntN(len(s.customers))]
		total := math.Round(math.Exp(3.5+0.6*s.rng.NormFloat64())*100) / 100
		if _, err := tx.ExecContext(ctx, `INSERT INTO orders VALUES ($1, $2, 'placed', $3, $4, $4)`, id, customer, total, at); err != nil {
			return a, err
		}
		s.open = append(s.open, order{id: id, status: "placed"})
		a.NewOrders++
	}
	return a, tx.Commit()
}
