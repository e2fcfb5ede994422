/*
 * gen_customers - fill a kigo-tui state database with N realistic, seeded
 * customers (names, emails, phones, loyalty ids) for the benchmarks.
 *
 *   gen_customers STATE_DIR [N (default 1000000)] [SEED (default 8)]
 *
 * Goes through the store API (kg_store_open creates and migrates the schema,
 * kg_store_put_customers writes rows and, through the schema's triggers, the
 * FTS5 trigram index), in transactions of 50,000 rows, so the database is
 * exactly what the client would have after caching that many customers.
 * Same N and SEED, same data.  Ids are cus_G followed by 7 hex digits, so
 * they never collide with the fakes' seed (tests/fakes/seed.py).  Prints one
 * line: "customers N seconds S".  Bench code only: never part of the client.
 */
#include "kigo/store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 50000

static const char *const first[] = {
	"Jane", "John", "Maria", "Wei", "Aisha", "Carlos", "Olivia", "Liam", "Noah", "Emma",
	"Sofia", "Mateo", "Yuki", "Priya", "Fatima", "Lucas", "Chloe", "Ethan", "Ava", "Omar",
	"Zoe", "Hannah", "Diego", "Grace", "Ibrahim", "Mei", "Anika", "Jorge", "Nina", "Samuel",
	"Leah", "Tomás", "Chiara", "Kwame", "Ingrid", "Ravi", "Elena", "Malik", "Rosa", "Finn",
	"Michael", "Jennifer", "David", "Linda", "James", "Patricia", "Robert", "Barbara",
	"William", "Elizabeth", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah",
	"Christopher", "Karen", "Daniel", "Nancy", "Matthew", "Lisa", "Anthony", "Betty",
	"Mark", "Margaret", "Donald", "Sandra", "Steven", "Ashley", "Paul", "Kimberly",
	"Andrew", "Emily", "Joshua", "Donna", "Kenneth", "Michelle", "Kevin", "Carol", "Brian",
	"Amanda", "George", "Dorothy", "Timothy", "Melissa", "Ronald", "Deborah", "Jason",
	"Stephanie", "Edward", "Rebecca", "Jeffrey", "Sharon", "Ryan", "Laura", "Jacob",
	"Cynthia", "Gary", "Kathleen", "Nicholas", "Amy", "Eric", "Angela", "Jonathan", "Shirley",
	"Stephen", "Anna", "Larry", "Brenda", "Justin", "Pamela", "Scott", "Emma", "Brandon",
	"Nicole", "Benjamin", "Helen", "Samuel", "Samantha", "Gregory", "Katherine", "Alexander",
	"Christine", "Frank", "Debra", "Patrick", "Rachel", "Raymond", "Carolyn", "Jack", "Janet",
	"Dennis", "Catherine", "Jerry", "Heather", "Tyler", "Diane", "Aaron", "Ruth", "José",
	"Julie", "Adam", "Olga", "Nathan", "Joyce", "Henry", "Virginia", "Zachary", "Victoria",
	"Douglas", "Kelly", "Peter", "Lauren", "Kyle", "Christina", "Noah", "Joan", "Ethan",
	"Evelyn", "Jeremy", "Judith", "Walter", "Megan", "Christian", "Andrea", "Keith", "Cheryl",
	"Roger", "Hannah", "Terry", "Jacqueline", "Austin", "Martha", "Sean", "Gloria", "Gerald",
	"Teresa", "Carl", "Ann", "Harold", "Sara", "Dylan", "Madison", "Arthur", "Frances",
	"Lawrence", "Kathryn", "Jordan", "Janice", "Jesse", "Jean", "Bryan", "Abigail", "Billy",
	"Alice", "Bruce", "Judy", "Gabriel", "Sophia", "Joe", "Grace", "Logan", "Denise", "Alan",
	"Amber", "Juan", "Doris", "Albert", "Marilyn", "Willie", "Danielle", "Elijah", "Beverly",
	"Wayne", "Isabella", "Randy", "Theresa", "Vincent", "Diana", "Mason", "Natalie", "Roy",
	"Brittany", "Ralph", "Charlotte", "Bobby", "Marie", "Russell", "Kayla", "Bradley", "Alexis",
	"Philip", "Lori", "Eugene", "Harriet", "Dmitri", "Siobhan", "Xiu", "Oluwaseun", "Björn",
};

static const char *const last[] = {
	"Doe", "Smith", "Garcia", "Chen", "Okafor", "Rodriguez", "Nguyen", "Johnson", "Patel",
	"Kim", "Müller", "Rossi", "Haddad", "Kowalski", "O'Brien", "Silva", "Tanaka", "Novak",
	"Andersen", "Hernández", "Lindqvist", "Mensah", "Dubois", "Ivanova", "Cohen", "Walker",
	"Santos", "Fischer", "Ahmed", "Murphy", "Brown", "Lopez", "Wright", "Yilmaz", "Costa",
	"Williams", "Jones", "Miller", "Davis", "Martinez", "Wilson", "Anderson", "Taylor",
	"Thomas", "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris",
	"Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Young", "Allen", "King", "Scott",
	"Torres", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera",
	"Campbell", "Mitchell", "Carter", "Roberts", "Gomez", "Phillips", "Evans", "Turner",
	"Diaz", "Parker", "Cruz", "Edwards", "Collins", "Reyes", "Stewart", "Morris", "Morales",
	"Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper", "Peterson", "Bailey", "Reed",
	"Kelly", "Howard", "Ramos", "Cox", "Ward", "Richardson", "Watson", "Brooks", "Chavez",
	"Wood", "James", "Bennett", "Gray", "Mendoza", "Ruiz", "Hughes", "Price", "Alvarez",
	"Castillo", "Sanders", "Myers", "Long", "Ross", "Foster", "Jimenez", "Powell", "Jenkins",
	"Perry", "Russell", "Sullivan", "Bell", "Coleman", "Butler", "Henderson", "Barnes",
	"Gonzales", "Fisher", "Vasquez", "Simmons", "Romero", "Jordan", "Patterson", "Alexander",
	"Hamilton", "Graham", "Reynolds", "Griffin", "Wallace", "Moreno", "West", "Cole",
	"Hayes", "Bryant", "Herrera", "Gibson", "Ellis", "Tran", "Medina", "Aguilar", "Stevens",
	"Murray", "Ford", "Castro", "Marshall", "Owens", "Harrison", "Fernandez", "McDonald",
	"Woods", "Washington", "Kennedy", "Wells", "Vargas", "Henry", "Chen", "Freeman", "Webb",
	"Tucker", "Guzman", "Burns", "Crawford", "Olson", "Simpson", "Porter", "Hunter", "Gordon",
	"Mendez", "Silva", "Shaw", "Snyder", "Mason", "Dixon", "Muñoz", "Hunt", "Hicks", "Holmes",
	"Palmer", "Wagner", "Black", "Robertson", "Boyd", "Rose", "Stone", "Salazar", "Fox",
	"Warren", "Mills", "Meyer", "Rice", "Schmidt", "Garza", "Daniels", "Ferguson", "Nichols",
	"Stephens", "Soto", "Weaver", "Ryan", "Gardner", "Payne", "Grant", "Dunn", "Kelley",
	"Spencer", "Hawkins", "Arnold", "Pierce", "Vazquez", "Hansen", "Peters", "Santiago",
	"Nakamura", "Kowalczyk", "Søndergaard", "Ó Súilleabháin", "Nwosu", "Wójcik", "Zhang",
};

static const char *const domains[] = {
	"example.com", "example.net", "example.org", "mail.example", "post.example",
};
static const int areas[] = { 401, 212, 617, 312, 415, 206, 305, 713, 404, 503, 602, 720 };

/* splitmix64: small, fast, good enough for seeded test data */
static uint64_t
rnd_next(uint64_t *st)
{
	uint64_t z = (*st += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static size_t
rnd_below(uint64_t *st, size_t n)
{
	return (size_t)(rnd_next(st) % n);
}

/* "O'Brien-Müller" -> "obrienmüller": ASCII letters lowered, others kept, marks dropped */
static void
email_part(char *dst, size_t cap, const char *s)
{
	size_t n = 0;

	for (; *s && n + 1 < cap; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 'A' && c <= 'Z')
			dst[n++] = (char)(c - 'A' + 'a');
		else if ((c >= 'a' && c <= 'z') || c >= 0x80)
			dst[n++] = (char)c;
	}
	dst[n] = '\0';
}

static void
make_customer(uint64_t *st, uint64_t serial, struct kg_customer *c)
{
	const char *f = first[rnd_below(st, KG_ARRAY_LEN(first))];
	const char *l = last[rnd_below(st, KG_ARRAY_LEN(last))];
	char fl[64], ll[64];
	int day = 1 + (int)rnd_below(st, 28), month = 1 + (int)rnd_below(st, 12);
	int year = 2019 + (int)rnd_below(st, 6);

	memset(c, 0, sizeof(*c));
	c->id = kg_xasprintf("cus_G%07llX", (unsigned long long)serial);
	/* one in eight has a double-barrelled surname */
	if (rnd_below(st, 8) == 0) {
		const char *l2 = last[rnd_below(st, KG_ARRAY_LEN(last))];

		c->name = kg_xasprintf("%s %s-%s", f, l, l2);
	} else {
		c->name = kg_xasprintf("%s %s", f, l);
	}
	email_part(fl, sizeof(fl), f);
	email_part(ll, sizeof(ll), l);
	if (serial % 11 != 5)
		c->email = kg_xasprintf("%s.%s%llu@%s", fl, ll, (unsigned long long)(serial % 9973),
		                        domains[rnd_below(st, KG_ARRAY_LEN(domains))]);
	if (serial % 13 != 6)
		c->phone = kg_xasprintf("+1%03d555%04d", areas[rnd_below(st, KG_ARRAY_LEN(areas))],
		                        (int)rnd_below(st, 10000));
	if (serial % 17 != 7)
		c->loyalty_id = kg_xasprintf("EC%010llu",
		                             (unsigned long long)(serial * 7919 % 10000000000ULL));
	c->created_at = kg_xasprintf("%04d-%02d-%02dT%02d:%02d:00Z", year, month, day,
	                             8 + (int)rnd_below(st, 12), (int)rnd_below(st, 60));
	c->updated_at = kg_xstrdup(c->created_at);
	c->fetched_at = 1700000000;
}

int
main(int argc, char **argv)
{
	struct kg_store *st = NULL;
	struct kg_customer *v = NULL;
	char *cause = NULL;
	uint64_t n = 1000000, seed = 8, rng, done = 0;
	int64_t t0;
	enum kg_err err;
	int rc = 1;

	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: gen_customers STATE_DIR [N] [SEED]\n");
		return 64;
	}
	if (argc > 2)
		n = strtoull(argv[2], NULL, 10);
	if (argc > 3)
		seed = strtoull(argv[3], NULL, 10);
	rng = seed;
	err = kg_store_open(argv[1], &st, &cause);
	if (err != KG_ERR_OK) {
		fprintf(stderr, "gen_customers: %s: %s\n", argv[1], cause ? cause : kg_err_str(err));
		goto out;
	}
	/*
	 * A bulk load: no journal, no sync, a page cache that holds the indexes
	 * (the load is several times faster); WAL again at the end, as the client has it.
	 */
	sqlite3_exec(kg_store_db(st),
	             "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -400000",
	             NULL, NULL, NULL);
	v = kg_xcalloc(BATCH, sizeof(*v));
	t0 = kg_now_ms();
	while (done < n) {
		size_t k = n - done < BATCH ? (size_t)(n - done) : BATCH;

		for (size_t i = 0; i < k; i++)
			make_customer(&rng, done + i + 1, &v[i]);
		err = kg_store_put_customers(st, v, k);
		for (size_t i = 0; i < k; i++)
			kg_customer_clear(&v[i]);
		if (err != KG_ERR_OK) {
			fprintf(stderr, "gen_customers: %s\n", kg_store_error(st));
			goto out;
		}
		done += k;
	}
	if (sqlite3_exec(kg_store_db(st), "PRAGMA journal_mode = WAL", NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "gen_customers: back to WAL: %s\n", sqlite3_errmsg(kg_store_db(st)));
		goto out;
	}
	printf("customers %llu seconds %.1f\n", (unsigned long long)done,
	       (double)(kg_now_ms() - t0) / 1000.0);
	rc = 0;
out:
	free(v);
	free(cause);
	kg_store_free(&st);
	return rc;
}
